"""The famous architectures, layer for layer as torchvision builds them: VGG16, ResNet-18."""

from __future__ import annotations

from dlstudio.graph.templates.builder import Builder

IMAGENET = (3, 224, 224)
VGG16_BLOCKS = ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3))  # (filters, convs)
RESNET18_STAGES = (64, 128, 256, 512)  # two BasicBlocks each


def _vgg16_base(b: Builder, trainable: bool) -> None:
    b.add("Input", "image", kind="image", shape=IMAGENET)
    for block, (filters, convs) in enumerate(VGG16_BLOCKS, start=1):
        for conv in range(1, convs + 1):
            b.add("Conv2d", f"block{block}_conv{conv}", filters=filters, kernel_size=3,
                  padding=1, trainable=trainable)
            b.add("ReLU", f"block{block}_relu{conv}")
        b.add("MaxPool2d", f"block{block}_pool", kernel_size=2)
    b.add("Flatten", "flatten")


def vgg16(b: Builder) -> None:
    _vgg16_base(b, trainable=True)
    for index in (1, 2):
        b.add("Dense", f"fc{index}", units=4096)
        b.add("ReLU", f"fc{index}_relu")
        b.add("Dropout", f"fc{index}_dropout", rate=0.5)
    b.add("Dense", "fc3", units=1000)
    b.classifier_end()


def vgg16_transfer(b: Builder) -> None:
    """The VGG16 base frozen (trainable off on every conv): only the new head learns."""
    _vgg16_base(b, trainable=False)
    b.add("Dense", "fc1", units=1024)
    b.add("ReLU", "fc1_relu")
    b.add("Dense", "fc2", units=10)
    b.classifier_end()


def _conv_bn(b: Builder, conv: str, bn: str, filters: int, kernel: int, stride: int = 1,
             after: str | None = None) -> str:
    """A convolution without bias (the BatchNorm after it has one) and its BatchNorm."""
    b.add("Conv2d", conv, filters=filters, kernel_size=kernel, stride=stride,
          padding=kernel // 2, bias=False, after=after)
    return b.add("BatchNorm2d", bn)


def _basic_block(b: Builder, prefix: str, filters: int, stride: int, downsample: bool) -> None:
    """Two 3x3 conv+BN, the input added back (through a 1x1 conv+BN when it changes size)."""
    entry = b.last
    _conv_bn(b, f"{prefix}_conv1", f"{prefix}_bn1", filters, 3, stride)
    b.add("ReLU", f"{prefix}_relu1")
    main = _conv_bn(b, f"{prefix}_conv2", f"{prefix}_bn2", filters, 3)
    shortcut = entry
    if downsample:
        shortcut = _conv_bn(b, f"{prefix}_down_conv", f"{prefix}_down_bn", filters, 1, stride,
                            after=entry)
    add = b.add("Add", f"{prefix}_add", after=main)
    b.wire(shortcut, add, "in2")
    b.add("ReLU", f"{prefix}_relu2")


def resnet18(b: Builder) -> None:
    b.add("Input", "image", kind="image", shape=IMAGENET)
    _conv_bn(b, "conv1", "bn1", 64, 7, stride=2)
    b.add("ReLU", "relu")
    b.add("MaxPool2d", "maxpool", kernel_size=3, stride=2, padding=1)
    channels = 64
    for stage, filters in enumerate(RESNET18_STAGES, start=1):
        for block in range(2):
            stride = 2 if block == 0 and filters != channels else 1
            _basic_block(b, f"layer{stage}_{block}", filters, stride, filters != channels)
            channels = filters
    b.add("GlobalAvgPool", "avgpool")
    b.add("Dense", "fc", units=1000)
    b.classifier_end()
