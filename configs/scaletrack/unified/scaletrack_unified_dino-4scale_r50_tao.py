# Unified variant (App. D) on mmdet's stock DINO 4-scale R50 (COCO): the
# adapter reads the four ChannelMapper levels of extract_feat (strides 8, 16,
# 32, 64, the levels DINO's own transformer reads); one backbone pass per
# frame serves detection and association.
#   python tools/test.py \
#     configs/scaletrack/unified/scaletrack_unified_dino-4scale_r50_tao.py CKPT
_base_ = ['./_unified_tao_test.py']
import mmengine  # noqa: E402

# the detector exactly as the two-backbone config builds it (mmdet's config)
detector = mmengine.Config.fromfile(
    '{{fileDirname}}/../scaletrack_dinov2-s_dino-4scale_r50_tao.py'
).model.detector
model = dict(detector=detector, feature_levels=(0, 1, 2, 3))
