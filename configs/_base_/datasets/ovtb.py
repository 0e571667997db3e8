# OVT-B (Liang & Han 2025; paper Tab. 9): 1,973 videos, 1,048 categories,
# TAO-style annotations, evaluated with TETA as TAO (base/novel by LVIS
# frequency), with Detic public detections in MASA's per-frame layout: the
# TAO setup of tao_val.py with OVT-B's files.
_base_ = './tao_val.py'

data_root = 'data/ovtb/'
ann_file = data_root + 'ovtb_ann.json'

test_pipeline = _base_.test_pipeline
test_pipeline[0]['transforms'][1]['source'].update(
    root=data_root + 'public_dets/detic_swinb/', img_root=data_root + 'OVT-B/')

val_dataloader = dict(
    dataset=dict(
        type='OVTBDataset',
        ann_file=ann_file,
        data_prefix=dict(img_path=data_root + 'OVT-B/'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='TETAMetric', ann_file=ann_file, exhaustive=False)
test_evaluator = val_evaluator
