# Issue 16, position shortcut (docs/results.md,
# tools/experiments/chain_diagnosis.py): the synthetic ScaleTrack with a
# PER-FRAME (not clip-shared) resize + crop, so box position and size do not
# carry over from one chain link to the next. The flip stays shared across
# the clip. SYNTHETIC DATA.
_base_ = ['../scaletrack_tiny-r18_1xb1-6e_synthetic.py']
img_scale = (256, 256)
num_frames = 10
train_pipeline = [
    dict(type='ClipFrameSample', num_frames=num_frames, sampling='uniform'),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadTrackAnnotations'),
            dict(type='LoadTrackProposals', score_thr=0.3, max_num=100),
            dict(type='RandomFlip', prob=0.5),
        ]),
    # independent random parameters per frame: same ranges as the base LSJ
    dict(
        type='TransformBroadcaster',
        share_random_params=False,
        transforms=[
            dict(
                type='RandomResize',
                scale=img_scale,
                ratio_range=(0.5, 1.5),
                keep_ratio=True),
            dict(
                type='RandomCrop',
                crop_type='absolute',
                crop_size=img_scale,
                recompute_bbox=True,
                allow_negative_crop=True),
            dict(
                type='Pad', size=img_scale, pad_val=dict(img=(104, 116, 124))),
        ]),
    dict(type='PackClipInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
