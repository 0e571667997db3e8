# The unified ScaleTrack of ./scaletrack_unified_faster-rcnn-r18-w16_1xb1-
# 6e_synthetic.py reading the detector's FPN levels P3-P5 (strides 8, 16,
# 32; 64 channels each) instead of its backbone stages C3-C5: the
# 'detector_neck' feature source. Same detections (public), recipe, head.
_base_ = ['./scaletrack_unified_faster-rcnn-r18-w16_1xb1-6e_synthetic.py']
model = dict(
    feature_source='detector_neck',
    feature_levels=(1, 2, 3),  # P3-P5 of the FPN's P2-P6
    neck=dict(in_channels=[64, 64, 64]))  # the detector's fpn_channels
