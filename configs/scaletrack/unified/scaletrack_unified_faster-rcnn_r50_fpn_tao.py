# Unified variant (App. D) on mmdet's stock Faster R-CNN R50-FPN (COCO): the
# adapter reads the FPN's P3-P6 (levels 1-4 of extract_feat: strides 8, 16,
# 32, 64), one backbone pass per frame serves detection and association.
#   python tools/test.py configs/scaletrack/unified/\
#     scaletrack_unified_faster-rcnn_r50_fpn_tao.py CKPT
# CKPT: the trained adapter + decoder (e.g. from the SA-V config
# ./scaletrack_unified_faster-rcnn_r50_fpn_16xb1-5e_sav_test-tao.py) with the
# detector's weights; or model.detector.init_cfg for the detector alone.
_base_ = ['./_unified_tao_test.py']
import mmengine  # noqa: E402

# the detector exactly as the two-backbone config builds it (mmdet's config)
detector = mmengine.Config.fromfile(
    '{{fileDirname}}/../scaletrack_dinov2-s_faster-rcnn_r50_fpn_tao.py'
).model.detector
model = dict(detector=detector, feature_levels=(1, 2, 3, 4))
