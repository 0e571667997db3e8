"""ScaleTrack's decoder head and its parts (Sec. 3.4.2, Eq. 4-9)."""
from .box_deformable_cross_attention import BoxDeformableCrossAttention
from .embed_decoder_layer import ScaleTrackDecoderLayer
from .proposal_modulation import ProposalModulation
from .scaletrack_embed_head import ScaleTrackEmbedHead
from .spatial_attention_pooling import SpatialAttentionPooling
from .temporal_deformable_fusion import TemporalDeformableFusion
from .temporal_window import TemporalFeatureBuffer, clip_temporal_windows

__all__ = [
    'ScaleTrackEmbedHead', 'ScaleTrackDecoderLayer',
    'SpatialAttentionPooling', 'TemporalDeformableFusion',
    'ProposalModulation', 'BoxDeformableCrossAttention',
    'TemporalFeatureBuffer', 'clip_temporal_windows'
]
