/**
 * Row-major 2-D float tensors as views over Arrow {@code Float4Vector} memory, the canonical
 * {@code arrow.fixed_shape_tensor} extension type, and views between a batch's
 * {@code FixedSizeList<float32>[d]} column and a tensor that share memory.
 */
package io.numarrow.tensor;
