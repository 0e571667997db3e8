# OVT-B (Tab. 9) with Detic detections; TETA base / novel by LVIS frequency.
_base_ = [
    '../_base_/models/scaletrack_dinov2-s.py',
    '../_base_/datasets/ovtb.py',
    '../_base_/default_runtime.py',
]
