# Co-DETR (Co-DINO 5-scale R50, LSJ, COCO) from mmdetection's
# projects/CO-DETR, which the mmdet wheel does not ship. Point MMDET_ROOT at
# an mmdetection 3.3 source tree and put it on PYTHONPATH:
#   MMDET_ROOT=/path/to/mmdetection PYTHONPATH=$MMDET_ROOT:$PYTHONPATH \
#   python tools/test.py configs/scaletrack/scaletrack_dinov2-s_co-dino-5scale-r50_tao.py CKPT
_base_ = [
    '{{$MMDET_ROOT:mmdetection}}/projects/CO-DETR/configs/codino/'
    'co_dino_5scale_r50_lsj_8xb2_1x_coco.py'
]
detector = _base_.model
detector.pop('data_preprocessor')
for __key in list(_base_.keys()):
    _base_.pop(__key)
