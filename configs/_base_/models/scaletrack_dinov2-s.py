# ScaleTrack-S (the paper's default, Appendix A): frozen DINOv2-S with four
# stride-14 levels (blocks 3, 6, 9, 12; Table 14), a 2-layer deformable
# encoder adapter (256-d, 4 points per head), a 2-layer spatio-temporal
# decoder with intermediate supervision (Table 12), chain contrastive loss,
# and the Hungarian cosine tracker (Appendix A, "Inference").
# Weights: mmpretrain's release of the official DINOv2-S (configs/dinov2/
# metafile.yml, vit-small-p14_dinov2-pre_3rdparty), fetched by mmengine into
# $TORCH_HOME/hub/checkpoints on first use; its keys are those of an
# ImageClassifier, so prefix='backbone.' selects the ViT. Offline: put the
# file there (the error says where), or point checkpoint at a local file
# (e.g. the official dinov2_vits14_pretrain.pth converted with
# tools/model_converters/dinov2_to_mmpretrain.py, then without prefix).
dinov2_s_url = ('https://download.openmmlab.com/mmpretrain/v1.0/dinov2/'
                'vit-small-p14_dinov2-pre_3rdparty_20230426-5641ca5a.pth')
model = dict(
    type='ScaleTrack',
    data_preprocessor=dict(
        type='TrackDataPreprocessor',
        # ImageNet statistics in RGB: DINOv2's and mmdet detectors' input
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=14),
    backbone=dict(
        type='DINOv2Backbone',
        arch='dinov2-small',
        multi_level=True,
        frozen=True,
        init_cfg=dict(
            type='Pretrained', checkpoint=dinov2_s_url, prefix='backbone.')),
    neck=dict(
        type='DeformableEncoderAdapter',
        in_channels=[384, 384, 384, 384],
        embed_dims=256,
        num_layers=2,
        num_heads=8,
        num_points=4),
    track_head=dict(
        type='ScaleTrackEmbedHead',
        featmap_strides=(14, 14, 14, 14),
        embed_dims=256,
        out_channels=256,
        num_layers=2,
        num_heads=8,
        num_points=4,
        with_spatial_pool=True,
        with_temporal=True,
        with_modulation=True,
        with_cross_attn=True,
        loss_track=dict(type='ChainContrastiveLoss', temperature=0.1),
        # intermediate supervision: both decoder layers weigh 1.0 (Table 12)
        layer_loss_weights=None),
    tracker=dict(
        type='ScaleTrackTracker',
        score_thr=0.3,
        nms_iou_thr=0.4,
        max_per_frame=100,
        match_thr=0.5,
        memo_momentum=0.5,
        num_frames_retain=30))
