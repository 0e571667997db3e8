# ScaleTrack-R50 (Table 15): ResNet-50 C2-C5 (strides 4-32), frozen, as the
# DINOv2 backbone is. Weights: torchvision's ImageNet ResNet-50 through
# init_cfg (set checkpoint='torchvision://resnet50' where it can be fetched).
_base_ = './scaletrack_dinov2-s.py'
model = dict(
    data_preprocessor=dict(pad_size_divisor=32),
    backbone=dict(
        _delete_=True,
        type='mmdet.ResNet',
        depth=50,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        frozen_stages=4,
        norm_cfg=dict(type='BN', requires_grad=False),
        norm_eval=True,
        style='pytorch',
        init_cfg=None),
    neck=dict(in_channels=[256, 512, 1024, 2048]),
    track_head=dict(featmap_strides=(4, 8, 16, 32)))
