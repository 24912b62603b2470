/**
 * A Jupyter kernel for numarrow's notebooks: rapaio-jupyter-kernel (a JShell kernel that runs cells
 * in its own JVM) on JDK 25, started with numarrow's JVM flags and with numarrow on its classpath,
 * written as a kernelspec where Jupyter looks for one.
 */
package io.numarrow.jupyter;
