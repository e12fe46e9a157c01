def write(root, stats):
    pass
