# Unified variant (App. D) on Co-DETR (Co-DINO 5-scale R50, LSJ, COCO): the
# adapter reads levels 1-4 of its 5-level ChannelMapper (strides 8, 16, 32,
# 64). Co-DETR lives in mmdetection's projects/CO-DETR, which the mmdet wheel
# does not ship, so this config builds only with MMDET_ROOT set to an
# mmdetection 3.3 source tree that is also on PYTHONPATH:
#   MMDET_ROOT=/path/to/mmdetection PYTHONPATH=$MMDET_ROOT:$PYTHONPATH \
#   python tools/test.py \
#     configs/scaletrack/unified/scaletrack_unified_co-dino-5scale-r50_tao.py \
#     CKPT
_base_ = ['./_unified_tao_test.py']
import mmengine  # noqa: E402

custom_imports = dict(
    imports=['projects.CO-DETR.codetr', 'scaletrack'],
    allow_failed_imports=False)
# the detector exactly as the two-backbone Co-DINO config builds it
detector = mmengine.Config.fromfile(
    '{{fileDirname}}/../scaletrack_dinov2-s_co-dino-5scale-r50_tao.py'
).model.detector
model = dict(detector=detector, feature_levels=(1, 2, 3, 4))
# Co-DINO LSJ is trained and tested with the long side at 1024 (its config's
# test pipeline), not mmdet's 1333 x 800.
img_scale = (1024, 1024)
test_pipeline = _base_.test_pipeline
test_pipeline[0].transforms[1].update(scale=img_scale)  # the Resize
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
