"""Bring your own model: File ▸ Import… (a PyTorch class or an ONNX file becomes a
project), File ▸ Load weights… (train from a state_dict), and the download of the
published ImageNet weights when a run starts from them (install.py puts them in a
window)."""
