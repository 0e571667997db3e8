# A small class-agnostic Faster R-CNN for the synthetic benchmark: the
# detector whose features the unified ScaleTrack reads (issue 15, paper
# App. D). mmdet's stock Faster R-CNN R50-FPN shrunk to CPU size: the
# ResNet-18 of base width 16 of ../../../_base_/models/scaletrack_tiny-r18.py
# (trained from scratch: no ImageNet weights reach this machine), a 64-d FPN
# (the tiny model's width) and 256x256 frames. SYNTHETIC DATA, SMALL
# DETECTOR TRAINED FROM SCRATCH ON A FEW HUNDRED FRAMES: a weak detector.
#
# Data (tools/experiments/unified_synthetic.py writes it; docs/experiments/
# unified_synthetic.md): the SA-V-style training videos label only part of
# their objects, so the detector trains on a separately generated,
# exhaustively annotated TAO-style set (another seed, no novel categories:
# SCALETRACK_DET_ROOT/train) and is evaluated on the benchmark's held-out
# TAO-style frames (SCALETRACK_SYNTH_ROOT/tao_val), both with every category
# mapped to one class 'object'. Measured: held-out bbox mAP 41.4, AP50 73.1
# (docs/experiments/unified_synthetic.md).
#   SCALETRACK_DET_ROOT=... SCALETRACK_SYNTH_ROOT=... python tools/train.py \
#       THIS
_base_ = 'mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py'
# the project's modules, as every config of this repository (its dataset
# conversion and checkpoint helpers are registered there)
custom_imports = dict(imports=['scaletrack'], allow_failed_imports=False)

det_root = '{{$SCALETRACK_DET_ROOT:data/synthetic_det}}/'
synth_root = '{{$SCALETRACK_SYNTH_ROOT:data/synthetic}}/'
img_scale = (256, 256)  # the generator's frame size
fpn_channels = 64  # embed_dims of the tiny ScaleTrack (unified head input)
metainfo = dict(classes=('object', ))  # class-agnostic (open-world)

model = dict(
    backbone=dict(
        depth=18,
        base_channels=16,
        frozen_stages=-1,  # from scratch: every stage trains
        norm_eval=False,
        init_cfg=None),
    neck=dict(
        in_channels=[16, 32, 64, 128],  # C2-C5 of a ResNet-18 at width 16
        out_channels=fpn_channels),
    rpn_head=dict(
        in_channels=fpn_channels,
        feat_channels=fpn_channels,
        # objects are 8-20 % of 256 px (20-51 px, SyntheticConfig.
        # object_size): scale 4 gives 16-px anchors at stride 4
        anchor_generator=dict(scales=[4])),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=fpn_channels),
        bbox_head=dict(
            in_channels=fpn_channels,
            fc_out_channels=256,  # 1024 for 80 COCO classes; 1 class here
            num_classes=1)),
    # at most ~20 objects per frame (num_objects (6, 12) + false positives)
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=1000, max_per_img=500),
        rcnn=dict(sampler=dict(num=128))),
    test_cfg=dict(
        rpn=dict(nms_pre=500, max_per_img=300), rcnn=dict(max_per_img=50)))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor')),
]
train_dataloader = dict(
    batch_size=8,
    num_workers=1,
    persistent_workers=True,
    batch_sampler=None,  # every frame is 256x256
    dataset=dict(
        data_root=det_root,
        metainfo=metainfo,
        ann_file='annotations/train_agnostic.json',
        data_prefix=dict(img='train/frames/'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        data_root=det_root,
        metainfo=metainfo,
        ann_file='annotations/heldout_agnostic.json',
        data_prefix=dict(img=synth_root + 'tao_val/frames/'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=det_root + 'annotations/heldout_agnostic.json')
test_evaluator = val_evaluator

# from scratch with AdamW (as the tiny ScaleTrack); 8 epochs of 768 frames =
# 768 iterations of 8 frames: 0.9 s each with one CPU thread (about 12 min),
# 21.6 min measured while other jobs shared the 2 cores; decay after 6
max_epochs = 8
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=100),
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_epochs,
        by_epoch=True,
        milestones=[6],
        gamma=0.1)
]
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=1e-4),
    clip_grad=dict(max_norm=10.0))
auto_scale_lr = dict(enable=False, base_batch_size=8)
default_hooks = dict(
    logger=dict(interval=20), checkpoint=dict(interval=max_epochs))
randomness = dict(seed=0, deterministic=True)
