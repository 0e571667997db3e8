# SportsMOT train split for in-domain training (paper Table 8: ScaleTrack
# trained "exclusively with the official SportsMOT training set"). The same
# clip recipe as sav_train.py (1 clip of 10 uniformly sampled frames per GPU,
# Large-Scale Jittering shared by the clip) on MOTChallenge-format data; the
# annotation file comes from
#   python tools/dataset_converters/mot_to_cocovid.py -i data/sportsmot/train \
#       -o data/sportsmot/annotations/train.json --class-map 1=player
# SportsMOT has no pseudo-negative proposals and is annotated exhaustively:
# every player is a labelled positive, and the other players of the frame are
# the negatives. Names are prefixed (sportsmot_train_*) so this file combines
# with a test-set base (mmengine forbids duplicate keys among bases).
sportsmot_train_root = 'data/sportsmot/'

sportsmot_train_img_scale = (518, 518)  # DINOv2's input (Appendix D)
sportsmot_train_num_frames = 10  # chain length (Table 5)

train_pipeline = [
    dict(
        type='ClipFrameSample',
        num_frames=sportsmot_train_num_frames,
        sampling='uniform'),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadTrackAnnotations'),
            dict(
                type='RandomResize',
                scale=sportsmot_train_img_scale,
                ratio_range=(0.1, 2.0),  # LSJ, as sav_train.py
                keep_ratio=True),
            dict(
                type='RandomCrop',
                crop_type='absolute',
                crop_size=sportsmot_train_img_scale,
                recompute_bbox=True,
                allow_negative_crop=True),
            dict(type='RandomFlip', prob=0.5),
            # mean pixel (BGR) -> 0 after normalisation, as sav_train.py
            dict(
                type='Pad',
                size=sportsmot_train_img_scale,
                pad_val=dict(img=(104, 116, 124))),
        ]),
    dict(type='PackClipInputs'),
]

train_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    # One clip per video per epoch suits SA-V's tens of thousands of videos;
    # SportsMOT train has 45 long videos (hundreds of frames each), so each
    # epoch draws 20 clips per video: 900 clips, about the paper's smallest
    # SA-V scaling subset (1k videos, Fig. 1b) per epoch.
    dataset=dict(
        type='RepeatDataset',
        times=20,
        dataset=dict(
            type='MOTChallengeVideoDataset',
            ann_file=sportsmot_train_root + 'annotations/train.json',
            data_prefix=dict(img_path=sportsmot_train_root + 'train/'),
            # SportsMOT has no visibility column (every row is 1); on MOT17
            # the usual training threshold is 0.25 (ByteTrack's recipe)
            visibility_thr=-1,
            pipeline=train_pipeline)))
