# ScaleTrack-L: frozen DINOv2-L (blocks 5, 12, 18, 24), Table 11, with
# mmpretrain's release of the official DINOv2-L (configs/dinov2/metafile.yml,
# vit-large-p14_dinov2-pre_3rdparty); see scaletrack_dinov2-s.py.
_base_ = './scaletrack_dinov2-s.py'
dinov2_l_url = ('https://download.openmmlab.com/mmpretrain/v1.0/dinov2/'
                'vit-large-p14_dinov2-pre_3rdparty_20230426-f3302d9e.pth')
model = dict(
    backbone=dict(arch='dinov2-large', init_cfg=dict(checkpoint=dinov2_l_url)),
    neck=dict(in_channels=[1024, 1024, 1024, 1024]))
