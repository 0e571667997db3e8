# ScaleTrack-L (DINOv2-L, Tab. 11) on TAO with Detic detections.
_base_ = [
    '../_base_/models/scaletrack_dinov2-l.py',
    '../_base_/datasets/tao_val.py',
    '../_base_/default_runtime.py',
]
