using static TorchSharp.torch;

namespace Sift.Models;

/// <summary>
/// Preallocated keys and values per layer, [B, kvHeads, capacity, headDim]. A forward pass writes
/// its new positions at <see cref="Length"/> and attends over the filled prefix; the model
/// advances the length once every layer has written.
/// </summary>
public sealed class KvCache : IDisposable
{
    private readonly Tensor[] _keys;
    private readonly Tensor[] _values;

    public KvCache(ModelConfig config, int batch, int capacity, ScalarType dtype, Device? device = null)
    {
        Capacity = capacity;
        _keys = new Tensor[config.NumLayers];
        _values = new Tensor[config.NumLayers];
        for (int i = 0; i < config.NumLayers; i++)
        {
            _keys[i] = zeros([batch, config.NumKvHeads, capacity, config.HeadDim], dtype, device);
            _values[i] = zeros([batch, config.NumKvHeads, capacity, config.HeadDim], dtype, device);
        }
    }

    public int Length { get; private set; }
    public int Capacity { get; }

    /// <summary>Stores k, v ([B, kvHeads, T, headDim]) after the filled prefix; returns the whole filled range.</summary>
    public (Tensor Keys, Tensor Values) Append(int layer, Tensor k, Tensor v)
    {
        long t = k.shape[2];
        if (Length + t > Capacity)
            throw new SiftException($"the KV cache holds {Capacity} positions but {Length + t} were needed; raise the maximum sequence length");
        _keys[layer].narrow(2, Length, t).copy_(k);
        _values[layer].narrow(2, Length, t).copy_(v);
        return (_keys[layer].narrow(2, 0, Length + t), _values[layer].narrow(2, 0, Length + t));
    }

    public void Advance(int positions) => Length += positions;

    /// <summary>Keeps only the batch rows <paramref name="rows"/> (in that order), e.g. the sequences still generating.</summary>
    public void KeepRows(Tensor rows)
    {
        foreach (var store in new[] { _keys, _values })
            for (int i = 0; i < store.Length; i++)
            {
                var kept = store[i].index_select(0, rows);
                store[i].Dispose();
                store[i] = kept;
            }
    }

    public void Dispose()
    {
        foreach (var t in _keys) t.Dispose();
        foreach (var t in _values) t.Dispose();
    }
}
