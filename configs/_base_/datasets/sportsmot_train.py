# SportsMOT train split for in-domain training (paper Table 8: ScaleTrack
# trained "exclusively with the official SportsMOT training set"): the clip
# recipe of sav_train.py (1 clip of 10 uniformly sampled frames per GPU,
# Large-Scale Jittering shared by the clip) on MOTChallenge-format data. The
# annotation file comes from
#   python tools/dataset_converters/mot_to_cocovid.py -i data/sportsmot/train \
#       -o data/sportsmot/annotations/train.json --class-map 1=player
# SportsMOT has no pseudo-negative proposals and is annotated exhaustively:
# every player is a labelled positive, and the other players of the frame are
# the negatives, so the proposal loader is dropped from the pipeline.
_base_ = ['./sav_train.py']

sportsmot_train_root = 'data/sportsmot/'

# the pipeline of sav_train.py without its proposal loader
train_pipeline = [
    _base_.train_clip_sample,
    dict(
        _base_.train_clip_transforms,
        transforms=_base_.train_loading + _base_.train_augmentation),
    _base_.train_pack,
]

train_dataloader = dict(
    # One clip per video per epoch suits SA-V's tens of thousands of videos;
    # SportsMOT train has 45 long videos (hundreds of frames each), so each
    # epoch draws 20 clips per video: 900 clips, about the paper's smallest
    # SA-V scaling subset (1k videos, Fig. 1b) per epoch.
    dataset=dict(
        _delete_=True,
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
