# BDD100K MOT val with ByteTrack's YOLOX detections (Tab. 2, †): TETA with
# exhaustive=True plus HOTA / IDF1 and the class-averaged mHOTA / mIDF1.
_base_ = [
    '../_base_/models/scaletrack_dinov2-s.py',
    '../_base_/datasets/bdd100k_mot_val.py',
    '../_base_/default_runtime.py',
]
