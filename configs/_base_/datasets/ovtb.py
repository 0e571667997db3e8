# OVT-B (Liang & Han 2025; paper Tab. 9): 1,973 videos, 1,048 categories,
# TAO-style annotations, evaluated with TETA as TAO (base/novel by LVIS
# frequency): the TAO setup of tao_val.py with OVT-B's files.
# Class space: OVT-B's own 1,048 classes (the CLASS list of its
# ovtb_classname.py, which the OVT-B README has the open-vocabulary detector
# prompt with), label i = the i-th category of ovtb_ann.json in file order.
# Detections: OVT-B releases none; they are made by the user in MASA's
# per-frame layout (or as a TAO-style results JSON, see docs/evaluation.md,
# "Protocols") over the classes of ovtb_ann.json.
_base_ = './tao_val.py'

data_root = 'data/ovtb/'
ann_file = data_root + 'ovtb_ann.json'
num_classes = 1048  # categories of ovtb_ann.json

public_dets_source = dict(
    _base_.public_dets_source,
    root=data_root + 'public_dets/detic_swinb/',
    img_root=data_root + 'OVT-B/',
    hint='OVT-B releases no detections: write them to '
    'data/ovtb/public_dets/detic_swinb/<frame path>.pth with '
    '`python tools/misc/dump_detections.py DET_CONFIG DET_CKPT ...` '
    '(detector classes = the categories of ovtb_ann.json, in file order).')
load_public_dets = dict(
    _base_.load_public_dets,
    num_classes=num_classes,
    source=public_dets_source)
test_pipeline = [
    dict(
        type='TransformBroadcaster',
        transforms=[
            _base_.test_load_image, load_public_dets, _base_.test_resize,
            _base_.test_load_anns
        ]),
    dict(type='PackClipInputs'),
]

val_dataloader = dict(
    dataset=dict(
        type='OVTBDataset',
        ann_file=ann_file,
        class_list=None,
        data_prefix=dict(img_path=data_root + 'OVT-B/'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='TETAMetric', ann_file=ann_file, exhaustive=False)
test_evaluator = val_evaluator
