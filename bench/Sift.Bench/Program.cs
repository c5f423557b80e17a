using Sift.Native;

namespace Sift.Bench;

public static class Program
{
    public static int Main(string[] args)
    {
        TorchRuntime.Initialize();
        var which = args.Length > 0 ? args[0] : "help";
        switch (which)
        {
            case "matmul":
                Console.WriteLine($"matmul 2048^3 fp32: {MatmulPeak.GflopsPerSecond(TorchSharp.torch.ScalarType.Float32):F0} GFLOP/s");
                Console.WriteLine($"matmul 2048^3 bf16: {MatmulPeak.GflopsPerSecond(TorchSharp.torch.ScalarType.BFloat16):F0} GFLOP/s");
                return 0;
            case "inference":
                return InferenceBench.Run(args[1..]);
            case "score":
                return ScoreBench.Run(args[1..]);
            case "ckpt":
                return CheckpointingBench.Run(args[1..]);
            case "ckpt-step":
                return CheckpointingBench.Step(args[1..]);
            case "train":
                return TrainingBench.Run(args[1..]);
            case "profile":
                return ProfileBench.Run(args[1..]);
            case "train-mpi":
                return DataParallelBench.Run(args[1..]);
            case "sftmix":
                return SftMixBench.Run(args[1..]);
            case "data":
                return DataBench.Run(args[1..]);
            case "lifetime-race":
                return LifetimeRace.Run(args[1..]);
            case "generate":
                return GenerationBench.Run(args[1..]);
            default:
                Console.Error.WriteLine("usage: sift-bench matmul | inference [--steps N] | data [--work DIR] [--keep-cache]\n" +
                                        "       | sftmix [--model stories15m] [--batch B] [--length T] [--steps N]\n" +
                                        "       | train [--model stories15m|llama100m] [--dtype fp32|bf16] [--batch B] [--length T] [--steps N] [--gradient-checkpointing]\n" +
                                        "       | profile [--model stories15m|llama100m] [--dtype fp32|bf16] [--batch B] [--length T] [--repeats R] [--ops-only | --step-only]\n" +
                                        "       | train-mpi [--model stories15m|llama100m] [--batch B] [--accumulation A] [--length T] [--steps N]   (alone, or under mpirun -np N)\n" +
                                        "       | ckpt [--batch 8] [--seq 512] [--dtype fp32|bf16]\n" +
                                        "       | score [--batch B] [--length T] [--repeats R] [--dtype fp32|bf16] [--data [ASSETS_DIR] | --data-only]\n" +
                                        "       | generate [--model DIR] [--prompts N] [--new N] [--batches 1,4,16,64]\n" +
                                        "       | lifetime-race [--seconds S] [--safe]   (with SIFT_GC_STRESS=1)");
                return 2;
        }
    }
}
