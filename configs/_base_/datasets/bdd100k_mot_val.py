# BDD100K MOT validation (200 videos at 5 FPS; paper Tab. 2) with ByteTrack's
# YOLOX public detections in MASA's per-frame layout (marker †). The
# annotation file comes from tools/dataset_converters/bdd100k_to_cocovid.py.
# Class space: the detections label BDD100K's 8 classes in the order of
# BDD100KMOTDataset (pedestrian, rider, car, truck, bus, train, motorcycle,
# bicycle), the class list of MASA's BDDVideoDataset / BDDTETAMetric; label
# i is the category of that name in the annotation file.
dataset_type = 'BDD100KMOTDataset'
data_root = 'data/bdd100k/'
ann_file = data_root + 'annotations/box_track_val_cocofmt.json'
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
                num_classes=8,  # BDD100KMOTDataset's classes
                source=dict(
                    type='MASADetections',
                    root=data_root + 'public_dets/bytetrack_yolox/',
                    img_root=data_root + 'images/track/val/',
                    hint="Download MASA's YOLOX detections of BDD100K MOT "
                    'val (MASA README, public detections) and unpack them '
                    'to data/bdd100k/public_dets/bytetrack_yolox/, or make '
                    'them with `python tools/misc/dump_detections.py '
                    'DET_CONFIG DET_CKPT ...`.')),
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
        ann_file=ann_file,
        data_prefix=dict(img_path=data_root + 'images/track/val/'),
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader

# BDD100K is exhaustively annotated for its 8 classes: TETA with
# exhaustive=True, plus HOTA / IDF1 (and their class means mHOTA / mIDF1).
# TETA follows BDD100K's own rules (scalabel's teta, which MASA uses): the
# converter's iscrowd boxes ("other person", "other vehicle", "trailer",
# crowd) are ignore regions (ignore_iscrowd=True) and every frame of a video
# is a timestep (all_frames=True).
val_evaluator = [
    # --out also writes BDD100K's own per-video Scalabel JSONs
    dict(
        type='TETAMetric',
        ann_file=ann_file,
        exhaustive=True,
        ignore_iscrowd=True,
        all_frames=True,
        out_formats=('tao', 'scalabel')),
    # trackeval's HOTA / CLEAR / Identity; the official scalabel figures
    # (MOTA, IDF1, mMOTA, ...): tools/analysis_tools/eval_bdd100k.py on the
    # Scalabel files written above (docs/evaluation.md)
    dict(type='MOTMetric', metric=['HOTA', 'CLEAR', 'Identity']),
]
test_evaluator = val_evaluator
