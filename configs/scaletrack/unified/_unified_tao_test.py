# Shared by the unified configs on TAO (paper App. D, Table 20): ScaleTrack's
# adapter and decoder read the frozen detector's features, there is no second
# backbone (model.backbone=None). Everything else (adapter and decoder sizes,
# tracker, TAO data and COCO -> TAO class mapping) is the two-backbone
# detector + ScaleTrack-S setting of ../_detector_tao_test.py.
# Default source: four 256-channel levels of the detector's extract_feat at
# strides 8, 16, 32, 64 -- the strides of ScaleTrack-R50 (Deformable DETR's
# levels, ../../_base_/models/scaletrack_r50.py); a child picks which of its
# detector's levels those are (feature_levels). Stride 4 is left out: at
# 800 x 1333 it alone has 67k positions, 3x the other four together, for the
# adapter's deformable encoder.
_base_ = ['../_detector_tao_test.py']
model = dict(
    backbone=None,
    feature_source='detector_neck',
    feature_levels=(0, 1, 2, 3),
    # mmdet's detectors pad to 32 (their largest backbone stride)
    data_preprocessor=dict(pad_size_divisor=32),
    neck=dict(in_channels=[256, 256, 256, 256]),
    track_head=dict(featmap_strides=(8, 16, 32, 64)))
# The one network input is the detector's: its COCO test scale, 1333 x 800
# with the aspect ratio kept (mmdet's Faster R-CNN / DINO / Detic test
# pipelines), instead of the two-backbone model's 518 x 518.
img_scale = (1333, 800)
test_pipeline = _base_.test_pipeline
test_pipeline[0].transforms[1].update(scale=img_scale, keep_ratio=True)
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
