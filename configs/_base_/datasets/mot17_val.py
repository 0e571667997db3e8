# MOT17 half-val (ByteTrack's split, FRCNN copies; paper Tab. 16) with
# ByteTrack's YOLOX detections in MASA's per-frame layout (marker †).
# ByteTrack releases models, not detection files: they are made by the user
# with `python tools/misc/dump_detections.py DET_CONFIG DET_CKPT ...` (MASA
# per-frame pickles; its MOTChallenge det.txt output works with
# dict(type='MOTDetDetections', root=data_root + 'train/') as source).
# Class space: one class, 'pedestrian' (label 0 = YOLOX's person).
# The annotation file comes from
#   python tools/dataset_converters/mot_to_cocovid.py -i data/MOT17/train \
#       -o data/MOT17/annotations/half-val_cocoformat.json --split half-val \
#       --seq-filter FRCNN --class-map 1=pedestrian --ignore-classes 2,7,8,12
dataset_type = 'MOTChallengeVideoDataset'
data_root = 'data/MOT17/'
backend_args = None

# Fixed 518 x 518 inference input (Appendix D), hence keep_ratio=False.
img_scale = (518, 518)

test_pipeline = [
    dict(
        type='TransformBroadcaster',
        transforms=[
            dict(type='LoadImageFromFile', backend_args=backend_args),
            dict(
                type='LoadPublicDetections',
                num_classes=1,
                source=dict(
                    type='MASADetections',
                    root=data_root + 'public_dets/bytetrack_yolox/',
                    img_root=data_root + 'train/',
                    hint='ByteTrack releases no MOT17 detection files: write '
                    'them to data/MOT17/public_dets/bytetrack_yolox/ with '
                    '`python tools/misc/dump_detections.py DET_CONFIG '
                    'DET_CKPT ...`.')),
            dict(type='Resize', scale=img_scale, keep_ratio=False),
            dict(type='LoadTrackAnnotations'),
        ]),
    dict(type='PackClipInputs'),
]

val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='TrackImgSampler'),
    dataset=dict(
        type=dataset_type,
        ann_file=data_root + 'annotations/half-val_cocoformat.json',
        data_prefix=dict(img_path=data_root + 'train/'),
        metainfo=dict(classes=('pedestrian', )),
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader

# MOTChallenge's ignore rule (distractor classes, consider=0 rows)
val_evaluator = dict(
    type='MOTMetric',
    metric=['HOTA', 'CLEAR', 'Identity'],
    ignore_rule='motchallenge',
    # the original gt.txt rows (distractor classes vs zero-marked rows,
    # other classes): trackeval's MotChallenge2DBox figures
    gt_root=data_root + 'train/')
test_evaluator = val_evaluator
