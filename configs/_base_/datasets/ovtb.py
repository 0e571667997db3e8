# OVT-B (Liang & Han 2025; paper Tab. 9): 1,973 videos, 1,048 categories,
# TAO-style annotations, evaluated with TETA as TAO (base/novel by LVIS
# frequency), with Detic public detections in MASA's per-frame layout.
dataset_type = 'OVTBDataset'
data_root = 'data/ovtb/'
ann_file = data_root + 'ovtb_ann.json'
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
                source=dict(
                    type='MASADetections',
                    root=data_root + 'public_dets/detic_swinb/',
                    img_root=data_root + 'OVT-B/')),
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
        data_prefix=dict(img_path=data_root + 'OVT-B/'),
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(type='TETAMetric', ann_file=ann_file, exhaustive=False)
test_evaluator = val_evaluator
