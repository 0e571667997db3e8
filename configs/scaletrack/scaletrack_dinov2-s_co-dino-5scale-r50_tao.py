# Co-DETR (Co-DINO 5-scale R50, LSJ, COCO) + ScaleTrack-S (the paper's
# "ScaleTrack (CoDETR)", Tab. 3). Co-DETR lives in mmdetection's
# projects/CO-DETR, which the mmdet wheel does not ship: point MMDET_ROOT at
# an mmdetection 3.3 source tree and put it on PYTHONPATH:
#   MMDET_ROOT=/path/to/mmdetection PYTHONPATH=$MMDET_ROOT:$PYTHONPATH \
#   python tools/test.py THIS_CONFIG CKPT
# Only the Co-DINO config's `model` is used; custom_imports names both
# packages (Co-DETR's modules and scaletrack).
_base_ = ['./_detector_tao_test.py']
import mmengine  # noqa: E402

custom_imports = dict(
    imports=['projects.CO-DETR.codetr', 'scaletrack'],
    allow_failed_imports=False)
detector = mmengine.Config.fromfile(
    '{{$MMDET_ROOT:mmdetection}}/projects/CO-DETR/configs/codino/'
    'co_dino_5scale_r50_lsj_8xb2_1x_coco.py').model
detector.pop('data_preprocessor')  # the MOT model's preprocessor is used
detector.update(_scope_='mmdet')  # built from mmdet's registry
model = dict(detector=detector)
