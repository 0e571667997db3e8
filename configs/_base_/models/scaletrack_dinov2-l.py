# ScaleTrack-L: frozen DINOv2-L (blocks 5, 12, 18, 24), Table 11.
_base_ = './scaletrack_dinov2-s.py'
model = dict(
    backbone=dict(arch='dinov2-large'),
    neck=dict(in_channels=[1024, 1024, 1024, 1024]))
