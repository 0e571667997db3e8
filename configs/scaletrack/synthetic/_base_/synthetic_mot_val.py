# The synthetic MOTChallenge-rate videos (mot_val: 6 fps, SportsMOT-like,
# docs/synthetic_data.md) as a test set, for the configs of
# configs/scaletrack/synthetic/mot_val/. Names are prefixed `mot_val_` so
# that this file combines with a model config as a second base; the
# children assign them to test_dataloader / test_evaluator.
# The COCO-VID annotation file is made once from the sequences:
#   python tools/dataset_converters/mot_to_cocovid.py \
#       -i $SCALETRACK_SYNTH_ROOT/mot_val \
#       -o $SCALETRACK_SYNTH_ROOT/mot_val_cocovid.json --class-map 1=ellipse
# (tools/experiments/motion_cue.py writes it into its work dir instead and
# passes it with --cfg-options).
mot_val_data_root = '{{$SCALETRACK_SYNTH_ROOT:data/synthetic}}/'
mot_val_root = mot_val_data_root + 'mot_val/'
mot_val_ann_file = mot_val_data_root + 'mot_val_cocovid.json'
mot_val_test_dataloader = dict(
    batch_size=1,
    num_workers=0,
    sampler=dict(type='TrackImgSampler'),
    dataset=dict(
        _delete_=True,
        type='MOTChallengeVideoDataset',
        ann_file=mot_val_ann_file,
        data_prefix=dict(img_path=mot_val_root),
        metainfo=dict(classes=('ellipse', )),
        test_mode=True,
        pipeline=[
            dict(
                type='TransformBroadcaster',
                transforms=[
                    dict(type='LoadImageFromFile'),
                    # the generator's det/det.txt (public detections)
                    dict(
                        type='LoadPublicDetections',
                        num_classes=1,
                        source=dict(
                            type='MOTDetDetections', root=mot_val_root)),
                    # frames are 256 x 256 already (the generator's size)
                    dict(type='Resize', scale=(256, 256), keep_ratio=False),
                    dict(type='LoadTrackAnnotations'),
                ]),
            dict(type='PackClipInputs'),
        ]))
mot_val_test_evaluator = [
    # exhaustively annotated (every object in the image has a box), as
    # BDD100K: class predictions outside every cluster count; the
    # converter's ignored rows (fully occluded, conf 0) are ignore regions
    dict(
        type='TETAMetric',
        ann_file=mot_val_ann_file,
        exhaustive=True,
        ignore_iscrowd=True),
    # trackeval on the original gt.txt rows (MOTChallenge's ignore rule)
    dict(
        type='MOTMetric',
        metric=['HOTA', 'CLEAR', 'Identity'],
        ignore_rule='motchallenge',
        gt_root=mot_val_root,
        gt_class_ids=(1, )),
]
