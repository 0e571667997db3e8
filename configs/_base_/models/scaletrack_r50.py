# ScaleTrack-R50 (Table 15), frozen as the DINOv2 backbone is. The adapter
# reads Deformable DETR's ResNet levels: C3-C5 plus one stride-2 conv on C5
# (strides 8-64). This reproduces the paper's 37 M / 33 GFLOPs (measured
# 38.35 M / 32.37 G, docs/model.md); feeding C2-C5 instead costs 56 GFLOPs
# because the stride-4 level alone has 16,900 tokens at 518 x 518.
# Weights: torchvision's ImageNet ResNet-50 through init_cfg (set
# checkpoint='torchvision://resnet50' where it can be fetched).
_base_ = './scaletrack_dinov2-s.py'
model = dict(
    data_preprocessor=dict(pad_size_divisor=32),
    backbone=dict(
        _delete_=True,
        type='mmdet.ResNet',
        depth=50,
        num_stages=4,
        out_indices=(1, 2, 3),
        frozen_stages=4,
        norm_cfg=dict(type='BN', requires_grad=False),
        norm_eval=True,
        style='pytorch',
        init_cfg=None),
    neck=dict(in_channels=[512, 1024, 2048], num_extra_levels=1),
    track_head=dict(featmap_strides=(8, 16, 32, 64)))
