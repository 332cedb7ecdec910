using static TorchSharp.torch;

namespace Augment.Data.Numerics;

/// <summary>
/// Every GroupNorm of the project is made here. TorchSharp 0.107 leaves GroupNorm's affine parameters uninitialised
/// (garbage, sometimes NaN), so they are set to PyTorch's 1 and 0.
/// </summary>
public static class GroupNorms
{
    public static TorchSharp.Modules.GroupNorm Create(int groups, int channels)
    {
        var norm = nn.GroupNorm(groups, channels);
        using (no_grad())
        {
            norm.weight!.fill_(HeldScalars.One);
            norm.bias!.zero_();
        }
        return norm;
    }
}
