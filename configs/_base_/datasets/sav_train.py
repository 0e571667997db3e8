# SA-V training data (paper Sec. 4.1 "Training data", Appendix A.1): batches
# of 1 clip of 10 uniformly sampled frames (the chain length of Table 5,
# uniform sampling as in Table 19), Large-Scale Jittering shared by every
# frame of the clip, and Detic pseudo-negative proposals (Sec. 3.3).
# Frames: tools/dataset_converters/sav_extract_frames.py; proposals:
# tools/misc/dump_detections.py (docs/datasets.md, "From the download").
# Module-level names are prefixed (sav_/train_) so that this file can be a
# base together with a test-set base (mmengine forbids duplicate keys among
# bases: no dataset_type / data_root / img_scale / backend_args here).
sav_data_root = 'data/sav/sav_train/'

# The network input: DINOv2's 518 x 518 (Appendix D).
train_img_scale = (518, 518)
train_num_frames = 10
# LSJ scale range of Ghiasi et al. 2021 (as in mmdet's LSJ recipes).
lsj_ratio_range = (0.1, 2.0)
# Pad with the mean pixel (BGR order, before the data preprocessor's
# bgr_to_rgb + normalisation) so padding becomes 0 after normalisation, like
# mmdet's LSJ batch padding.
pad_bgr = (104, 116, 124)

# Named pipeline pieces: a child config overrides one by name (e.g.
# ``train_clip_sample = dict(_base_.train_clip_sample, num_frames=5)``) and
# composes ``train_pipeline`` again from the pieces (see sportsmot_train.py).
train_clip_sample = dict(
    type='ClipFrameSample', num_frames=train_num_frames, sampling='uniform')
train_loading = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadTrackAnnotations'),
]
# Appendix A.1: proposal confidence threshold 0.3
train_load_proposals = dict(
    type='LoadTrackProposals', score_thr=0.3, max_num=100)
train_augmentation = [
    dict(
        type='RandomResize',
        scale=train_img_scale,
        ratio_range=lsj_ratio_range,
        keep_ratio=True),
    dict(
        type='RandomCrop',
        crop_type='absolute',
        crop_size=train_img_scale,
        recompute_bbox=True,
        allow_negative_crop=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='Pad', size=train_img_scale, pad_val=dict(img=pad_bgr)),
]

# one scale, crop offset and flip for the whole clip, so that a static
# object keeps its box across frames
train_clip_transforms = dict(
    type='TransformBroadcaster',
    share_random_params=True,
    transforms=train_loading + [train_load_proposals] + train_augmentation)
train_pack = dict(type='PackClipInputs')
train_pipeline = [train_clip_sample, train_clip_transforms, train_pack]

train_dataloader = dict(
    batch_size=1,  # Appendix A.1: one video clip per GPU
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='SAVDataset',
        data_root=sav_data_root,
        # '' = every video of the shards below; or a text file of video ids
        # (the paper's 1k/3k/6k/12k-video subsets of sav_000..sav_023)
        ann_file='',
        # ann_path: shard folders with the {video_id}_manual.json files
        # (glob; restrict to sav_000..sav_023 with an ann_file list)
        data_prefix=dict(
            img_path='JPEGImages_24fps', ann_path='sav_0[0-2][0-9]'),
        ann_types=('manual', ),
        proposals_root='proposals/detic',
        cache_file='data/sav/sav_train_index.pkl',
        # every annotated frame's JPEG and proposal file exists (one listdir
        # per folder at start-up instead of a crash hours into training)
        check_files=True,
        pipeline=train_pipeline))
