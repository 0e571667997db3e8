# MOT17 val (half) with ByteTrack's YOLOX detections (Tab. 16).
_base_ = [
    '../_base_/models/scaletrack_dinov2-s.py',
    '../_base_/datasets/mot17_val.py',
    '../_base_/default_runtime.py',
]
model = dict(tracker=dict(init_score_thr=0.5))
