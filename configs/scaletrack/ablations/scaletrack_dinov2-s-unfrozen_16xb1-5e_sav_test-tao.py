# Table 6: the DINOv2-S backbone fine-tuned instead of frozen; it trains at
# 0.1 x the base lr (2e-5, Appendix A.1, schedules/adamw_5e.py lr_mult).
_base_ = ['../scaletrack_dinov2-s_16xb1-5e_sav_test-tao.py']
model = dict(backbone=dict(frozen=False))
