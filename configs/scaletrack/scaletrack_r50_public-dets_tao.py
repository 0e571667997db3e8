# ScaleTrack-R50 (Tab. 15) on TAO with Detic detections.
_base_ = [
    '../_base_/models/scaletrack_r50.py',
    '../_base_/datasets/tao_val.py',
    '../_base_/default_runtime.py',
]
