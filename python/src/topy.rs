//! Any `Serialize` value → the Python objects `json.loads` would make of its `serde_json` text.
//!
//! `label_many` spends its Python-side time turning records into dicts; walking the records
//! directly skips writing the JSON text and parsing it again with `json.loads` (which took
//! about 40% longer than a direct walk in one measurement on the PolNeAR records). The output
//! is the same as `json.loads(serde_json::to_string(v))`, which the tests check against the CLI:
//! - an `f32` becomes the `f64` nearest to its shortest decimal form, as the JSON text has it
//!   (`0.998958`, not the widened `0.9989579916000366` that `serde_json::to_value` gives);
//! - non-finite floats become `None` (JSON `null`), structs and maps dicts in field order,
//!   sequences and tuples lists, unit variants their name, other variants `{name: value}`;
//! - map keys become strings (numbers and booleans as their JSON text).
//!
//! Names that repeat (field names, map keys, unit variants such as "favor") are created once
//! per conversion and shared.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyFloat, PyList, PyString};
use serde::ser::{self, Serialize};
use std::collections::HashMap;
use std::fmt;

/// A Python error carried through serde.
#[derive(Debug)]
pub struct Error(pub PyErr);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error(PyValueError::new_err(msg.to_string()))
    }
}

impl From<std::convert::Infallible> for Error {
    fn from(e: std::convert::Infallible) -> Self {
        match e {}
    }
}

impl From<PyErr> for Error {
    fn from(e: PyErr) -> Self {
        Error(e)
    }
}

type Result<T> = std::result::Result<T, Error>;

/// Shared Python strings for names that repeat.
#[derive(Default)]
pub struct Names(HashMap<String, Py<PyString>>);

impl Names {
    fn get<'py>(&mut self, py: Python<'py>, s: &str) -> Bound<'py, PyString> {
        if let Some(k) = self.0.get(s) {
            return k.bind(py).clone();
        }
        let k = PyString::new(py, s);
        self.0.insert(s.to_string(), k.clone().unbind());
        k
    }
}

/// Converts `v` to Python objects.
pub fn to_py<'py, T: Serialize + ?Sized>(
    py: Python<'py>,
    names: &mut Names,
    v: &T,
) -> PyResult<Bound<'py, PyAny>> {
    v.serialize(Ser { py, names }).map_err(|e| e.0)
}

struct Ser<'py, 'n> {
    py: Python<'py>,
    names: &'n mut Names,
}

impl<'py, 'n> Ser<'py, 'n> {
    fn reborrow(&mut self) -> Ser<'py, '_> {
        Ser {
            py: self.py,
            names: self.names,
        }
    }

    fn float(&self, v: f64) -> Bound<'py, PyAny> {
        if v.is_finite() {
            PyFloat::new(self.py, v).into_any()
        } else {
            self.py.None().into_bound(self.py)
        }
    }

    /// `{name: value}` for newtype, tuple and struct variants (serde_json's external tagging).
    fn tagged(
        &mut self,
        name: &'static str,
        value: Bound<'py, PyAny>,
    ) -> Result<Bound<'py, PyAny>> {
        let d = PyDict::new(self.py);
        d.set_item(self.names.get(self.py, name), value)?;
        Ok(d.into_any())
    }
}

/// Every integer width becomes a Python `int`; one body for each of serde's integer methods.
macro_rules! integers_as_int {
    ($($method:ident: $int:ty),*) => {$(
        fn $method(self, v: $int) -> Result<Self::Ok> {
            Ok(v.into_pyobject(self.py)?.into_any())
        }
    )*};
}

impl<'py, 'n> ser::Serializer for Ser<'py, 'n> {
    type Ok = Bound<'py, PyAny>;
    type Error = Error;
    type SerializeSeq = Seq<'py, 'n>;
    type SerializeTuple = Seq<'py, 'n>;
    type SerializeTupleStruct = Seq<'py, 'n>;
    type SerializeTupleVariant = Seq<'py, 'n>;
    type SerializeMap = Map<'py, 'n>;
    type SerializeStruct = Map<'py, 'n>;
    type SerializeStructVariant = Map<'py, 'n>;

    fn serialize_bool(self, v: bool) -> Result<Self::Ok> {
        Ok(pyo3::types::PyBool::new(self.py, v).to_owned().into_any())
    }
    integers_as_int!(
        serialize_i8: i8,
        serialize_i16: i16,
        serialize_i32: i32,
        serialize_i64: i64,
        serialize_i128: i128,
        serialize_u8: u8,
        serialize_u16: u16,
        serialize_u32: u32,
        serialize_u64: u64,
        serialize_u128: u128
    );
    fn serialize_f32(self, v: f32) -> Result<Self::Ok> {
        // Rust prints the shortest decimal that reads back as the same f32, as serde_json
        // writes it; reading that decimal as f64 gives what json.loads gives.
        let shortest: f64 = if v.is_finite() {
            v.to_string().parse().expect("a printed float parses")
        } else {
            f64::NAN
        };
        Ok(self.float(shortest))
    }
    fn serialize_f64(self, v: f64) -> Result<Self::Ok> {
        Ok(self.float(v))
    }
    fn serialize_char(self, v: char) -> Result<Self::Ok> {
        Ok(PyString::new(self.py, v.encode_utf8(&mut [0; 4])).into_any())
    }
    fn serialize_str(self, v: &str) -> Result<Self::Ok> {
        Ok(PyString::new(self.py, v).into_any())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Self::Ok> {
        Ok(PyList::new(self.py, v)?.into_any())
    }
    fn serialize_none(self) -> Result<Self::Ok> {
        Ok(self.py.None().into_bound(self.py))
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<Self::Ok> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<Self::Ok> {
        self.serialize_none()
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<Self::Ok> {
        self.serialize_none()
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<Self::Ok> {
        Ok(self.names.get(self.py, variant).into_any())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<Self::Ok> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        mut self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        v: &T,
    ) -> Result<Self::Ok> {
        let value = v.serialize(self.reborrow())?;
        self.tagged(variant, value)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq> {
        Ok(Seq::new(self, None))
    }
    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleStruct> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant> {
        Ok(Seq::new(self, Some(variant)))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap> {
        Ok(Map::new(self, None))
    }
    fn serialize_struct(self, _: &'static str, len: usize) -> Result<Self::SerializeStruct> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant> {
        Ok(Map::new(self, Some(variant)))
    }
}

struct Seq<'py, 'n> {
    ser: Ser<'py, 'n>,
    list: Bound<'py, PyList>,
    variant: Option<&'static str>,
}

impl<'py, 'n> Seq<'py, 'n> {
    fn new(ser: Ser<'py, 'n>, variant: Option<&'static str>) -> Self {
        Seq {
            list: PyList::empty(ser.py),
            ser,
            variant,
        }
    }
    fn push<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<()> {
        let item = v.serialize(self.ser.reborrow())?;
        self.list.append(item)?;
        Ok(())
    }
    fn done(mut self) -> Result<Bound<'py, PyAny>> {
        let list = self.list.clone().into_any();
        match self.variant {
            Some(v) => self.ser.tagged(v, list),
            None => Ok(list),
        }
    }
}

// serde's four list-shaped traits differ only in their names: one body serves them all.
macro_rules! impl_seq_traits {
    ($($trait:ident::$add:ident),*) => {$(
        impl<'py> ser::$trait for Seq<'py, '_> {
            type Ok = Bound<'py, PyAny>;
            type Error = Error;
            fn $add<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<()> {
                self.push(v)
            }
            fn end(self) -> Result<Self::Ok> {
                self.done()
            }
        }
    )*};
}

impl_seq_traits!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

struct Map<'py, 'n> {
    ser: Ser<'py, 'n>,
    dict: Bound<'py, PyDict>,
    key: Option<Bound<'py, PyString>>,
    variant: Option<&'static str>,
}

impl<'py, 'n> Map<'py, 'n> {
    fn new(ser: Ser<'py, 'n>, variant: Option<&'static str>) -> Self {
        Map {
            dict: PyDict::new(ser.py),
            ser,
            key: None,
            variant,
        }
    }
    fn set<T: Serialize + ?Sized>(&mut self, key: Bound<'py, PyString>, v: &T) -> Result<()> {
        let value = v.serialize(self.ser.reborrow())?;
        self.dict.set_item(key, value)?;
        Ok(())
    }
    fn done(mut self) -> Result<Bound<'py, PyAny>> {
        let dict = self.dict.clone().into_any();
        match self.variant {
            Some(v) => self.ser.tagged(v, dict),
            None => Ok(dict),
        }
    }
}

impl<'py> ser::SerializeMap for Map<'py, '_> {
    type Ok = Bound<'py, PyAny>;
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<()> {
        self.key = Some(key.serialize(KeySer {
            py: self.ser.py,
            names: self.ser.names,
        })?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<()> {
        let key = self
            .key
            .take()
            .ok_or_else(|| <Error as ser::Error>::custom("map value without a key"))?;
        self.set(key, v)
    }
    fn end(self) -> Result<Self::Ok> {
        self.done()
    }
}

// Structs and struct variants differ only in the trait's name (the tag is in `Map::variant`).
macro_rules! impl_struct_traits {
    ($($trait:ident),*) => {$(
        impl<'py> ser::$trait for Map<'py, '_> {
            type Ok = Bound<'py, PyAny>;
            type Error = Error;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                name: &'static str,
                v: &T,
            ) -> Result<()> {
                let key = self.ser.names.get(self.ser.py, name);
                self.set(key, v)
            }
            fn end(self) -> Result<Self::Ok> {
                self.done()
            }
        }
    )*};
}

impl_struct_traits!(SerializeStruct, SerializeStructVariant);

/// Map keys: strings (shared), and numbers and booleans as their JSON text, as serde_json does.
struct KeySer<'py, 'n> {
    py: Python<'py>,
    names: &'n mut Names,
}

impl<'py> KeySer<'py, '_> {
    fn text(self, s: &str) -> Result<Bound<'py, PyString>> {
        Ok(self.names.get(self.py, s))
    }
}

fn key_error() -> Error {
    <Error as ser::Error>::custom("a map key must be a string, a number or a boolean")
}

/// Integer keys become their decimal text; one body for each of serde's integer methods.
macro_rules! integer_keys_as_text {
    ($($method:ident: $int:ty),*) => {$(
        fn $method(self, v: $int) -> Result<Self::Ok> {
            self.text(&v.to_string())
        }
    )*};
}

impl<'py> ser::Serializer for KeySer<'py, '_> {
    type Ok = Bound<'py, PyString>;
    type Error = Error;
    type SerializeSeq = ser::Impossible<Self::Ok, Error>;
    type SerializeTuple = ser::Impossible<Self::Ok, Error>;
    type SerializeTupleStruct = ser::Impossible<Self::Ok, Error>;
    type SerializeTupleVariant = ser::Impossible<Self::Ok, Error>;
    type SerializeMap = ser::Impossible<Self::Ok, Error>;
    type SerializeStruct = ser::Impossible<Self::Ok, Error>;
    type SerializeStructVariant = ser::Impossible<Self::Ok, Error>;

    fn serialize_bool(self, v: bool) -> Result<Self::Ok> {
        self.text(if v { "true" } else { "false" })
    }
    integer_keys_as_text!(
        serialize_i8: i8,
        serialize_i16: i16,
        serialize_i32: i32,
        serialize_i64: i64,
        serialize_u8: u8,
        serialize_u16: u16,
        serialize_u32: u32,
        serialize_u64: u64
    );
    fn serialize_f32(self, _: f32) -> Result<Self::Ok> {
        Err(key_error())
    }
    fn serialize_f64(self, _: f64) -> Result<Self::Ok> {
        Err(key_error())
    }
    fn serialize_char(self, v: char) -> Result<Self::Ok> {
        self.text(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<Self::Ok> {
        self.text(v)
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<Self::Ok> {
        Err(key_error())
    }
    fn serialize_none(self) -> Result<Self::Ok> {
        Err(key_error())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<Self::Ok> {
        Err(key_error())
    }
    fn serialize_unit(self) -> Result<Self::Ok> {
        Err(key_error())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<Self::Ok> {
        Err(key_error())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<Self::Ok> {
        self.text(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<Self::Ok> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<Self::Ok> {
        Err(key_error())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq> {
        Err(key_error())
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple> {
        Err(key_error())
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct> {
        Err(key_error())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant> {
        Err(key_error())
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap> {
        Err(key_error())
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct> {
        Err(key_error())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant> {
        Err(key_error())
    }
}
