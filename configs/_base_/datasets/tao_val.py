# TAO validation (988 videos at 1 FPS) for TETA, with the same Detic (Swin-B)
# public detections as MASA (paper Tab. 3, marker †).
# Class space: the detections label LVIS v1 classes, so they go with
# `tao_val_lvis_v1_classes.json` and the LVIS v1 class list (label i = the
# i-th LVIS v1 category by id, as MASA's Taov1Dataset / TaoTETAMetric of
# configs/datasets/tao/tao_dataset_v1.py; the LVIS v0.5 file goes with the
# TETer-SwinT detections, class_list='lvis_v05', num_classes=1230).
# Detections: MASA's released per-frame files (plain pickles at the frame's
# path with .jpg -> .pth), unpacked to data/tao/public_dets/detic_swinb/.
dataset_type = 'TAODataset'
data_root = 'data/tao/'
ann_file = data_root + 'annotations/tao_val_lvis_v1_classes.json'
class_list = 'lvis_v1'
num_classes = 1203  # LVIS v1 (mmdet's LVISV1Dataset classes)
backend_args = None

# Inference input is a fixed 518 x 518 (Appendix D: "inference uses a fixed
# input resolution of 518x518"; DINOv2's native size), hence keep_ratio=False.
img_scale = (518, 518)

# Named pipeline pieces: a child config overrides one by name (e.g.
# ``public_dets_source = dict(_base_.public_dets_source, root=...)``) and
# composes ``test_pipeline`` again from the pieces (see ovtb.py).
# MASA's per-frame files (original-image pixels)
public_dets_source = dict(
    type='MASADetections',
    root=data_root + 'public_dets/detic_swinb/',
    img_root=data_root + 'frames/',
    hint="Download MASA's Detic (Swin-B) detections of TAO "
    'val (MASA README, public detections) and unpack them '
    'to data/tao/public_dets/detic_swinb/.')
load_public_dets = dict(
    type='LoadPublicDetections',
    num_classes=num_classes,
    source=public_dets_source)
test_load_image = dict(type='LoadImageFromFile', backend_args=backend_args)
test_resize = dict(type='Resize', scale=img_scale, keep_ratio=False)
# after Resize: ground truth stays in original-image pixels
test_load_anns = dict(type='LoadTrackAnnotations')

test_pipeline = [
    dict(
        type='TransformBroadcaster',
        transforms=[
            test_load_image, load_public_dets, test_resize, test_load_anns
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
        class_list=class_list,
        data_prefix=dict(img_path=data_root + 'frames/'),
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader

# TAO is not exhaustively annotated: TETA with exhaustive=False.
val_evaluator = dict(type='TETAMetric', ann_file=ann_file, exhaustive=False)
test_evaluator = val_evaluator
