# mmdet's ByteTrack (motion only: Kalman filter + IoU) on the same public
# detections and held-out videos as ScaleTrack's synthetic config. Tracker
# settings are mmdet's own ByteTrack defaults (configs/bytetrack).
_base_ = ['../scaletrack/synthetic/scaletrack_tiny-r18_1xb1-6e_synthetic.py']
model = dict(
    _delete_=True,
    type='ByteTrack',
    data_preprocessor=dict(
        type='TrackDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    detector=dict(type='PublicDetectionsDetector'),
    tracker=dict(
        type='ByteTracker',
        motion=dict(type='KalmanFilter'),
        obj_score_thrs=dict(high=0.6, low=0.1),
        init_track_thr=0.7,
        weight_iou_with_det_scores=True,
        match_iou_thrs=dict(high=0.1, low=0.5, tentative=0.3),
        num_frames_retain=30))
