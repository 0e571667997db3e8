# CPU-sized ScaleTrack for the synthetic benchmark (docs/results.md): no
# DINOv2 weights can reach a CPU-only machine, and a frozen *random*
# backbone is not the paper's setting, so the backbone is a small ResNet-18
# (base width 16) trained with the rest. Everything else is the full
# ScaleTrack-S of ./scaletrack_dinov2-s.py: 2-layer deformable encoder
# adapter, 2-layer spatio-temporal decoder with intermediate supervision,
# chain contrastive loss, Hungarian cosine tracker. Widths are 64 instead
# of 256 to fit 2 CPU cores. Keep the non-size settings in step with
# ./scaletrack_dinov2-s.py.
embed_dims = 64
model = dict(
    type='ScaleTrack',
    data_preprocessor=dict(
        type='TrackDataPreprocessor',
        # ImageNet statistics in RGB, as ScaleTrack-S
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32),  # the ResNet's largest stride
    backbone=dict(
        type='mmdet.ResNet',
        depth=18,
        base_channels=16,
        num_stages=4,
        out_indices=(1, 2, 3),  # strides 8, 16, 32
        frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        style='pytorch',
        init_cfg=None),
    neck=dict(
        type='DeformableEncoderAdapter',
        in_channels=[32, 64, 128],  # the ResNet's C3-C5 at base width 16
        embed_dims=embed_dims,
        num_layers=2,
        num_heads=4,
        num_points=4,
        num_groups=8,
        feedforward_channels=2 * embed_dims * 2,
        dropout=0.0),
    track_head=dict(
        type='ScaleTrackEmbedHead',
        featmap_strides=(8, 16, 32),
        embed_dims=embed_dims,
        out_channels=embed_dims,
        num_layers=2,
        num_heads=4,
        num_points=4,
        with_spatial_pool=True,
        with_temporal=True,
        with_modulation=True,
        with_cross_attn=True,
        feedforward_channels=2 * embed_dims * 2,
        dropout=0.0,
        temporal_window=4,
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
