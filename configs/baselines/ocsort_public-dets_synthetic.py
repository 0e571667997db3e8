# mmdet's OC-SORT (motion only) on the same public detections and held-out
# videos as ScaleTrack's synthetic config; mmdet's OC-SORT defaults.
_base_ = ['../scaletrack/synthetic/scaletrack_tiny-r18_1xb1-6e_synthetic.py']
model = dict(
    _delete_=True,
    type='OCSORT',
    data_preprocessor=dict(
        type='TrackDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    detector=dict(type='PublicDetectionsDetector'),
    tracker=dict(
        type='OCSORTTracker',
        motion=dict(type='KalmanFilter'),
        obj_score_thr=0.3,
        init_track_thr=0.7,
        weight_iou_with_det_scores=True,
        match_iou_thr=0.3,
        num_tentatives=3,
        vel_consist_weight=0.2,
        vel_delta_t=3,
        num_frames_retain=30))
