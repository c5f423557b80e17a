using System.Collections.Immutable;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace Sift.Tests.Native;

/// <summary>
/// Which methods each method of an assembly calls, read from its IL: methods are named
/// "Namespace.Type/Nested::Name(ParameterTypes)ReturnType", so a call in one assembly and the
/// definition in another get the same name.
/// </summary>
internal static class IlCallGraph
{
    /// <summary>Every method with a body in the assembly at <paramref name="path"/>, with the methods it calls.</summary>
    public static Dictionary<string, List<string>> Read(string path)
    {
        using var pe = new PEReader(File.OpenRead(path));
        var md = pe.GetMetadataReader();
        var graph = new Dictionary<string, List<string>>();
        foreach (var handle in md.MethodDefinitions)
        {
            var method = md.GetMethodDefinition(handle);
            if (method.RelativeVirtualAddress == 0) continue;
            var calls = CallTokens(pe.GetMethodBody(method.RelativeVirtualAddress).GetILReader())
                .Select(t => Name(md, MetadataTokens.EntityHandle(t))).OfType<string>().ToList();
            graph[Name(md, handle)!] = calls;
        }
        return graph;
    }

    private static string? Name(MetadataReader md, EntityHandle handle)
    {
        var types = new TypeNames();
        switch (handle.Kind)
        {
            case HandleKind.MethodDefinition:
                var def = md.GetMethodDefinition((MethodDefinitionHandle)handle);
                return types.GetTypeFromDefinition(md, def.GetDeclaringType(), 0) + "::" + md.GetString(def.Name) + Signature(md, def.Signature);
            case HandleKind.MemberReference:
                var member = md.GetMemberReference((MemberReferenceHandle)handle);
                if (member.GetKind() != MemberReferenceKind.Method) return null;
                string owner = member.Parent.Kind switch
                {
                    HandleKind.TypeReference => types.GetTypeFromReference(md, (TypeReferenceHandle)member.Parent, 0),
                    HandleKind.TypeDefinition => types.GetTypeFromDefinition(md, (TypeDefinitionHandle)member.Parent, 0),
                    HandleKind.TypeSpecification => md.GetTypeSpecification((TypeSpecificationHandle)member.Parent).DecodeSignature(types, null),
                    _ => "?",
                };
                return owner + "::" + md.GetString(member.Name) + Signature(md, member.Signature);
            case HandleKind.MethodSpecification:
                return Name(md, md.GetMethodSpecification((MethodSpecificationHandle)handle).Method);
            default:
                return null;
        }
    }

    private static string Signature(MetadataReader md, BlobHandle blob)
    {
        var reader = md.GetBlobReader(blob);
        var signature = new SignatureDecoder<string, object?>(new TypeNames(), md, null).DecodeMethodSignature(ref reader);
        return "(" + string.Join(",", signature.ParameterTypes) + ")" + signature.ReturnType;
    }

    /// <summary>Metadata tokens of call, callvirt, newobj, ldftn and ldvirtftn instructions.</summary>
    private static List<int> CallTokens(BlobReader il)
    {
        var tokens = new List<int>();
        while (il.RemainingBytes > 0)
        {
            int first = il.ReadByte();
            var op = first == 0xFE ? (ILOpCode)(0xFE00 | il.ReadByte()) : (ILOpCode)first;
            switch (op)
            {
                case ILOpCode.Call or ILOpCode.Callvirt or ILOpCode.Newobj or ILOpCode.Ldftn or ILOpCode.Ldvirtftn:
                    tokens.Add(il.ReadInt32());
                    break;
                case ILOpCode.Switch:
                    il.Offset += 4 * il.ReadInt32();
                    break;
                default:
                    il.Offset += OperandSize(op);
                    break;
            }
        }
        return tokens;
    }

    // Operand sizes of ECMA-335 §III; every opcode not listed has none.
    private static int OperandSize(ILOpCode op) => op switch
    {
        ILOpCode.Ldarg_s or ILOpCode.Ldarga_s or ILOpCode.Starg_s or ILOpCode.Ldloc_s or ILOpCode.Ldloca_s or ILOpCode.Stloc_s
            or ILOpCode.Ldc_i4_s or ILOpCode.Br_s or ILOpCode.Brfalse_s or ILOpCode.Brtrue_s or ILOpCode.Beq_s or ILOpCode.Bge_s
            or ILOpCode.Bgt_s or ILOpCode.Ble_s or ILOpCode.Blt_s or ILOpCode.Bne_un_s or ILOpCode.Bge_un_s or ILOpCode.Bgt_un_s
            or ILOpCode.Ble_un_s or ILOpCode.Blt_un_s or ILOpCode.Leave_s or ILOpCode.Unaligned => 1,
        ILOpCode.Ldarg or ILOpCode.Ldarga or ILOpCode.Starg or ILOpCode.Ldloc or ILOpCode.Ldloca or ILOpCode.Stloc => 2,
        ILOpCode.Ldc_i8 or ILOpCode.Ldc_r8 => 8,
        ILOpCode.Br or ILOpCode.Brfalse or ILOpCode.Brtrue or ILOpCode.Beq or ILOpCode.Bge or ILOpCode.Bgt or ILOpCode.Ble
            or ILOpCode.Blt or ILOpCode.Bne_un or ILOpCode.Bge_un or ILOpCode.Bgt_un or ILOpCode.Ble_un or ILOpCode.Blt_un
            or ILOpCode.Leave or ILOpCode.Ldc_i4 or ILOpCode.Ldc_r4 or ILOpCode.Jmp or ILOpCode.Calli or ILOpCode.Cpobj
            or ILOpCode.Ldobj or ILOpCode.Ldstr or ILOpCode.Castclass or ILOpCode.Isinst or ILOpCode.Unbox or ILOpCode.Ldfld
            or ILOpCode.Ldflda or ILOpCode.Stfld or ILOpCode.Ldsfld or ILOpCode.Ldsflda or ILOpCode.Stsfld or ILOpCode.Stobj
            or ILOpCode.Box or ILOpCode.Newarr or ILOpCode.Ldelema or ILOpCode.Ldelem or ILOpCode.Stelem or ILOpCode.Unbox_any
            or ILOpCode.Refanyval or ILOpCode.Mkrefany or ILOpCode.Ldtoken or ILOpCode.Initobj or ILOpCode.Constrained
            or ILOpCode.Sizeof => 4,
        _ => 0,
    };

    private sealed class TypeNames : ISignatureTypeProvider<string, object?>
    {
        public string GetArrayType(string element, ArrayShape shape) => element + "[" + new string(',', shape.Rank - 1) + "]";
        public string GetByReferenceType(string element) => element + "&";
        public string GetFunctionPointerType(MethodSignature<string> signature) => "method*";
        public string GetGenericInstantiation(string generic, ImmutableArray<string> arguments) => generic + "<" + string.Join(",", arguments) + ">";
        public string GetGenericMethodParameter(object? context, int index) => "!!" + index;
        public string GetGenericTypeParameter(object? context, int index) => "!" + index;
        public string GetModifiedType(string modifier, string unmodified, bool isRequired) => unmodified;
        public string GetPinnedType(string element) => element;
        public string GetPointerType(string element) => element + "*";
        public string GetPrimitiveType(PrimitiveTypeCode code) => code.ToString();
        public string GetSZArrayType(string element) => element + "[]";
        public string GetTypeFromSpecification(MetadataReader md, object? context, TypeSpecificationHandle handle, byte kind) =>
            md.GetTypeSpecification(handle).DecodeSignature(this, context);

        public string GetTypeFromDefinition(MetadataReader md, TypeDefinitionHandle handle, byte kind)
        {
            var type = md.GetTypeDefinition(handle);
            var outer = type.GetDeclaringType();
            return (outer.IsNil ? md.GetString(type.Namespace) + "." : GetTypeFromDefinition(md, outer, 0) + "/") + md.GetString(type.Name);
        }

        public string GetTypeFromReference(MetadataReader md, TypeReferenceHandle handle, byte kind)
        {
            var type = md.GetTypeReference(handle);
            return (type.ResolutionScope.Kind == HandleKind.TypeReference
                ? GetTypeFromReference(md, (TypeReferenceHandle)type.ResolutionScope, 0) + "/"
                : md.GetString(type.Namespace) + ".") + md.GetString(type.Name);
        }
    }
}
