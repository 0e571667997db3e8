# One-stage: mmdet's stock RetinaNet R50-FPN (COCO). Only its `model`
# is passed on (as `detector`): its COCO data, schedule and runtime settings
# are dropped so the ScaleTrack configs can inherit this file next to their
# own bases (mmengine refuses keys repeated across bases).
_base_ = ['mmdet::retinanet/retinanet_r50_fpn_1x_coco.py']
detector = _base_.model
detector.pop('data_preprocessor')  # the MOT model's preprocessor is used
for __key in list(_base_.keys()):
    _base_.pop(__key)
