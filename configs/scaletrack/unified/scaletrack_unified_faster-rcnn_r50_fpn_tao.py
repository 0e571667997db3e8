# Unified variant (App. D) on mmdet's stock Faster R-CNN R50-FPN (COCO): the
# adapter reads the FPN's P3-P6 (levels 1-4 of extract_feat: strides 8, 16,
# 32, 64), one backbone pass per frame serves detection and association.
#   python tools/test.py configs/scaletrack/unified/\
#     scaletrack_unified_faster-rcnn_r50_fpn_tao.py CKPT
# CKPT: the trained adapter + decoder (e.g. from the SA-V config
# ./scaletrack_unified_faster-rcnn_r50_fpn_16xb1-5e_sav_test-tao.py) with the
# detector's weights; or model.detector.init_cfg for the detector alone.
_base_ = ['./_unified_tao_test.py']
from mmengine.hub import get_config  # noqa: E402

detector = get_config(
    'mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py').model
detector.pop('data_preprocessor')  # the MOT model's preprocessor is used
detector.update(_scope_='mmdet')  # built from mmdet's registry
model = dict(detector=detector, feature_levels=(1, 2, 3, 4))
