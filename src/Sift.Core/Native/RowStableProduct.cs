using static TorchSharp.torch;

namespace Sift.Native;

/// <summary>
/// Products a·b whose every row has the bits it would have at any thread count and in a product of
/// any other rows. MKL's sgemm under libtorch rounds a product of 5, 6, 7, 9, 10 or 11 rows differently
/// with more than one thread, while each row of a product of 4, 8 or 12 and more rows comes out the same
/// at any thread count and any row count (1–3 rows take a path of their own, also the same at any thread
/// count). So a product of 4 to <see cref="MinRows"/> − 1 rows is computed padded with zero rows to
/// <see cref="MinRows"/>, which gives each row the bits one thread gives it unpadded (ThreadCountTests
/// measure both).
/// </summary>
public static class RowStableProduct
{
    /// <summary>Fewest rows of a product that MKL rounds alike at any thread count.</summary>
    public const long MinRows = 12;

    /// <summary>a·b, rounded alike at any thread count.</summary>
    public static Tensor Product(Tensor a, Tensor b) =>
        NeedsPadding(a.shape[0]) ? Padded(a).matmul(b).narrow(0, 0, a.shape[0]) : a.matmul(b);

    public static bool NeedsPadding(long rows) => rows > 3 && rows < MinRows;

    /// <summary><paramref name="x"/> [n, D] over zero rows, to <see cref="MinRows"/> rows.</summary>
    public static Tensor Padded(Tensor x) => cat([x, zeros([MinRows - x.shape[0], x.shape[1]], x.dtype, x.device)], 0);
}
