# DETR-style: mmdet's stock DINO 4-scale R50 (COCO). Only its `model`
# is passed on (as `detector`): its COCO data, schedule and runtime settings
# are dropped so the ScaleTrack configs can inherit this file next to their
# own bases (mmengine refuses keys repeated across bases).
_base_ = ['mmdet::dino/dino-4scale_r50_8xb2-12e_coco.py']
detector = _base_.model
detector.pop('data_preprocessor')  # the MOT model's preprocessor is used
for __key in list(_base_.keys()):
    _base_.pop(__key)
