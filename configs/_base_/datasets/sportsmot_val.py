# SportsMOT validation (paper Tab. 4/18) with the official baseline public
# detections (<seq>/det/det.txt, marker †). The annotation file comes from
#   python tools/dataset_converters/mot_to_cocovid.py -i data/sportsmot/val \
#       -o data/sportsmot/annotations/val.json --class-map 1=player
dataset_type = 'MOTChallengeVideoDataset'
data_root = 'data/sportsmot/'
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
                source=dict(type='MOTDetDetections', root=data_root + 'val/')),
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
        ann_file=data_root + 'annotations/val.json',
        data_prefix=dict(img_path=data_root + 'val/'),
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader

# MOTChallenge's ignore rule (distractor classes, consider=0 rows)
val_evaluator = dict(
    type='MOTMetric',
    metric=['HOTA', 'CLEAR', 'Identity'],
    ignore_rule='motchallenge',
    # the original gt.txt rows, as trackeval reads them; player = class 1
    gt_root=data_root + 'val/',
    gt_class_ids=(1, ))
test_evaluator = val_evaluator
