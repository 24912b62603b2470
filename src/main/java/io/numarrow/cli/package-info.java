/** The {@code ./numarrow} commands: thin shells over the library's calls. Only this package prints. */
package io.numarrow.cli;
