"""ScaleTrack's decoder head and its parts (Sec. 3.4.2, Eq. 4-9).

The temporal buffer itself (state kept by the caller) lives with the MOT
model: ``scaletrack.models.mot.temporal_buffer``.
"""
from .box_deformable_cross_attention import BoxDeformableCrossAttention
from .embed_decoder_layer import ScaleTrackDecoderLayer
from .point_sampling import FlatFeatureMap
from .proposal_modulation import ProposalModulation
from .scaletrack_embed_head import ScaleTrackEmbedHead
from .spatial_attention_pooling import SpatialAttentionPooling
from .temporal_deformable_fusion import TemporalDeformableFusion

__all__ = [
    'ScaleTrackEmbedHead', 'ScaleTrackDecoderLayer',
    'SpatialAttentionPooling', 'TemporalDeformableFusion',
    'ProposalModulation', 'BoxDeformableCrossAttention', 'FlatFeatureMap'
]
