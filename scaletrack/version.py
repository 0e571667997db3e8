__version__ = '0.1.0'


def parse_version_info(version_str):
    """Parse '0.1.0' or '0.1.0rc1' into a tuple of ints (and the rc tag)."""
    parts = []
    for x in version_str.split('.'):
        if x.isdigit():
            parts.append(int(x))
        else:
            parts.append(x)
    return tuple(parts)


version_info = parse_version_info(__version__)
