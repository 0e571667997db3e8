# Open-vocabulary MOT (TAO val, LVIS v1 classes; base = 'c'+'f', novel = 'r';
# Tab. 1) with the same Detic detections.
_base_ = [
    '../_base_/models/scaletrack_dinov2-s.py',
    '../_base_/datasets/ovmot_val.py',
    '../_base_/default_runtime.py',
]
