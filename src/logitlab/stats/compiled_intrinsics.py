"""LLVM intrinsics for the compiled passes, where Numba's own code falls short.

transpose_pair moves a tile of a row-major design into its column-major scratch buffer with
128-bit loads and two shuffles per four rows of two columns, target-independent IR that LLVM
lowers for any CPU: LLVM compiles the column-at-a-time copy into gathers, which took a third
of a pass's time at d = 10, and slowed further when both cores gathered at once.

prefetch asks the memory for one cache line (llvm.prefetch, a hint that never faults): the
passes ask for their next tile a few lines at each sweep over the current one, as one core
otherwise reads the design only at the memory's latency and computes only in between.

wide_vectors marks the function that calls it to be vectorised 512 bits wide where the CPU
has AVX-512: LLVM's default there is 256 bits, sparing the clock, but once the design is
fetched ahead a pass is bound by its arithmetic, and the wide pass took 16% less time at
10**6 x 10. A CPU without AVX-512 ignores the preference.
"""

from llvmlite import ir
from numba.core import cgutils, types
from numba.core.errors import NumbaTypeError
from numba.extending import intrinsic


def _mask(order: tuple[int, ...]) -> ir.Constant:
    return ir.Constant(ir.VectorType(ir.IntType(32), len(order)), list(order))


@intrinsic
def transpose_pair(typingctx, source, start, stride, target, at, pitch):
    """Copies source[start + r * stride + c] to target[at + c * pitch + r] for r < 4 and
    c < 2: two columns of four rows of a row-major array (stride: its row length) into two
    columns of a column-major one (pitch: its column length), both float64 and 1-D (other
    arrays are refused when Numba types the call). Indices are not checked."""
    for array in (source, target):
        if not isinstance(array, types.Array) or (array.dtype, array.ndim) != (types.float64, 1):
            raise NumbaTypeError(f"transpose_pair copies 1-D float64 arrays, not {array}")
    sig = types.void(source, start, stride, target, at, pitch)

    def codegen(context, builder, signature, args):
        read = context.make_array(signature.args[0])(context, builder, args[0]).data
        write = context.make_array(signature.args[3])(context, builder, args[3]).data
        start, stride, at, pitch = args[1], args[2], args[4], args[5]
        pair, quad = ir.VectorType(ir.DoubleType(), 2), ir.VectorType(ir.DoubleType(), 4)

        def row(r):  # (x[r, 0], x[r, 1])
            index = builder.add(start, builder.mul(stride, ir.Constant(stride.type, r)))
            return builder.load(builder.bitcast(builder.gep(read, [index]), pair.as_pointer()),
                                align=8)  # fmt: skip

        rows = [row(r) for r in range(4)]
        even = builder.shuffle_vector(rows[0], rows[2], _mask((0, 1, 2, 3)))  # rows 0 and 2
        odd = builder.shuffle_vector(rows[1], rows[3], _mask((0, 1, 2, 3)))  # rows 1 and 3
        for c, order in enumerate(((0, 4, 2, 6), (1, 5, 3, 7))):
            column = builder.shuffle_vector(even, odd, _mask(order))
            index = builder.add(at, builder.mul(pitch, ir.Constant(pitch.type, c)))
            builder.store(column, builder.bitcast(builder.gep(write, [index]), quad.as_pointer()),
                          align=8)  # fmt: skip
        return context.get_dummy_value()

    return sig, codegen


@intrinsic
def prefetch(typingctx, source, index):
    """Asks for the cache line of source[index] into the core's L2 cache, for reading;
    source is a 1-D float64 array (others are refused when Numba types the call). A hint:
    the index is not checked, and no address faults."""
    if not isinstance(source, types.Array) or (source.dtype, source.ndim) != (types.float64, 1):
        raise NumbaTypeError(f"prefetch reads 1-D float64 arrays, not {source}")
    sig = types.void(source, index)

    def codegen(context, builder, signature, args):
        read = context.make_array(signature.args[0])(context, builder, args[0]).data
        byte, word = ir.IntType(8).as_pointer(), ir.IntType(32)
        hint = ir.FunctionType(ir.VoidType(), [byte, word, word, word])
        call = cgutils.get_or_insert_function(builder.module, hint, "llvm.prefetch.p0i8")
        # read (0), locality 2 (the outer caches: the line is read within a tile), data (1)
        builder.call(call, [builder.bitcast(builder.gep(read, [args[1]]), byte), word(0),
                            word(2), word(1)])  # fmt: skip
        return context.get_dummy_value()

    return sig, codegen


@intrinsic
def wide_vectors(typingctx):
    """Sets the calling compiled function's prefer-vector-width attribute to 512 bits."""
    sig = types.void()

    def codegen(context, builder, signature, args):
        # llvmlite's add() takes only the attributes it knows: a string attribute goes in as is
        set.add(builder.function.attributes, '"prefer-vector-width"="512"')
        return context.get_dummy_value()

    return sig, codegen
