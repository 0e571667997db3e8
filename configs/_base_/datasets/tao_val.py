# TAO validation (988 videos at 1 FPS) for TETA, with the same Detic (Swin-B)
# public detections as MASA (paper Tab. 3, marker †). Annotations: MASA's
# LVIS v0.5 version of TAO val.
dataset_type = 'TAODataset'
data_root = 'data/tao/'
ann_file = data_root + 'annotations/tao_val_lvis_v05_classes.json'
backend_args = None

# Inference input is a fixed 518 x 518 (Appendix D: "inference uses a fixed
# input resolution of 518x518"; DINOv2's native size), hence keep_ratio=False.
img_scale = (518, 518)

test_pipeline = [
    dict(
        type='TransformBroadcaster',
        transforms=[
            dict(type='LoadImageFromFile', backend_args=backend_args),
            # MASA's per-frame files (original-image pixels)
            dict(
                type='LoadPublicDetections',
                source=dict(
                    type='MASADetections',
                    root=data_root + 'public_dets/detic_swinb/',
                    img_root=data_root + 'frames/')),
            dict(type='Resize', scale=img_scale, keep_ratio=False),
            # after Resize: ground truth stays in original-image pixels
            dict(type='LoadTrackAnnotations'),
        ]),
    dict(type='PackClipInputs'),
]

val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    # frame-by-frame, each video on one process, in order
    sampler=dict(type='TrackImgSampler'),
    dataset=dict(
        type=dataset_type,
        ann_file=ann_file,
        data_prefix=dict(img_path=data_root + 'frames/'),
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader

# TAO is not exhaustively annotated: TETA with exhaustive=False.
val_evaluator = dict(type='TETAMetric', ann_file=ann_file, exhaustive=False)
test_evaluator = val_evaluator
